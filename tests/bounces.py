"""Bounces and robot mail the way real MTAs and list servers write them, generated (no real
people or hosts): old Sendmail, qmail, Exim, Exchange, Lotus Domino, an antivirus gateway,
Postfix's RFC 3464 report, a Mailman list robot and a LISTSERV. Each returns (most of) the
original message, which is the bot's reply: it carries our Message-ID and often our blank form,
a PDF, which is what made such a bounce look like an application before.

`SHAPES` maps a name to a builder `(original, recipient, robot_sender) -> bytes`. With
`robot_sender=False` the bounce comes from an ordinary-looking address, so that only its shape
(flufl.bounce) can tell it is a bounce.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from mailgen import tiny_pdf

BOT = "sirui@mail.example.edu"
OUR_ID = "<reply.42.0001@mail.example.edu>"
DATE = "Fri, 20 Nov 2026 09:31:00 +0000"


def original(message_id: str = OUR_ID, to: str = "gone@example.net") -> bytes:
    """Our reply as the applicant's server got it: multipart, with the blank form (a PDF)."""
    pdf = base64.encodebytes(tiny_pdf()).decode()
    return (
        f"From: DFME license desk <{BOT}>\r\nTo: {to}\r\nSubject: Re: DFME LA [DFME-LA #42]\r\n"
        f"Message-ID: {message_id}\r\nDate: {DATE}\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=orig\r\n\r\n"
        "--orig\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Dear applicant, we cannot accept your application yet.\r\n"
        "--orig\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="DFME_License_Agreement_blank_2023.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{pdf}--orig--\r\n"
    ).encode()


def _sender(robot: bool, robot_addr: str, human_addr: str) -> str:
    return robot_addr if robot else human_addr


def _headers(frm: str, subject: str, extra: str = "", msgid: str = "<b1@mx.example.net>") -> str:
    return ("Return-Path: <>\r\n" if "MAILER-DAEMON" in frm.upper() else "") + (
        f"From: {frm}\r\nTo: {BOT}\r\nSubject: {subject}\r\nDate: {DATE}\r\n"
        f"Message-ID: {msgid}\r\n{extra}MIME-Version: 1.0\r\n"
    )


def sendmail(orig: bytes, rcpt: str, robot: bool = True) -> bytes:
    """Sendmail 8.x before DSNs: the transcript and the returned message as plain text."""
    frm = _sender(robot, "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>",
                  "Mail System <mailsys@mx.example.net>")  # fmt: skip
    head = _headers(frm, "Returned mail: User unknown")
    body = (
        "The original message was received at Fri, 20 Nov 2026 09:31:00 +0000\r\n"
        "from mail.example.edu [192.0.2.10]\r\n\r\n"
        "   ----- The following addresses had permanent fatal errors -----\r\n"
        f"<{rcpt}>\r\n\r\n"
        "   ----- Transcript of session follows -----\r\n"
        f"... while talking to mx.example.net.:\r\n>>> RCPT To:<{rcpt}>\r\n"
        f"<<< 550 <{rcpt}>... User unknown\r\n550 <{rcpt}>... User unknown\r\n\r\n"
        "   ----- Original message follows -----\r\n\r\n"
    )
    return (head + "Content-Type: text/plain\r\n\r\n" + body).encode() + orig


def qmail(orig: bytes, rcpt: str, robot: bool = True) -> bytes:
    frm = _sender(robot, "MAILER-DAEMON@mx.example.net", "mail-system@mx.example.net")
    head = _headers(frm, "failure notice")
    body = (
        "Hi. This is the qmail-send program at mx.example.net.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        f"<{rcpt}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
    )
    return (head + "\r\n" + body).encode() + orig


def exim(orig: bytes, rcpt: str, robot: bool = True) -> bytes:
    frm = _sender(robot, "Mail Delivery System <Mailer-Daemon@mx.example.net>",
                  "Delivery System <delivery@mx.example.net>")  # fmt: skip
    head = _headers(frm, "Mail delivery failed: returning message to sender",
                    f"X-Failed-Recipients: {rcpt}\r\n")  # fmt: skip
    body = (
        "This message was created automatically by mail delivery software.\r\n\r\n"
        "A message that you sent could not be delivered to one or more of its\r\n"
        "recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
        f"  {rcpt}\r\n    SMTP error from remote mail server after RCPT TO:<{rcpt}>:\r\n"
        "    550 5.1.1 User unknown\r\n\r\n"
        "------ This is a copy of the message, including all the headers. ------\r\n\r\n"
    )
    return (head + "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + body).encode() + orig


def exchange(orig: bytes, rcpt: str, robot: bool = True) -> bytes:
    """Exchange 5.5/2000 non-delivery report: text, then the original as message/rfc822."""
    frm = _sender(robot, "System Administrator <postmaster@corp.example.com>",
                  "System Administrator <sysadmin@corp.example.com>")  # fmt: skip
    head = _headers(frm, "Undeliverable: Re: DFME LA [DFME-LA #42]")
    text = (
        "Your message\r\n\r\n  To:      someone\r\n  Subject: Re: DFME LA [DFME-LA #42]\r\n"
        f"  Sent:    {DATE}\r\n\r\n"
        "did not reach the following recipient(s):\r\n\r\n"
        f"{rcpt} on Fri, 20 Nov 2026 09:31:05 +0000\r\n"
        "    The recipient name is not recognized\r\n"
        "    The MTS-ID of the original message is: c=cn;a= ;p=corp;l=EXCH0101\r\n"
        "    MSEXCH:IMS:Corp:Site:EXCH01 0 (000C05A6) Unknown Recipient\r\n"
    )
    return (
        (
            head + "Content-Type: multipart/mixed; boundary=ndr\r\n\r\n--ndr\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + text + "\r\n--ndr\r\n"
            "Content-Type: message/rfc822\r\n\r\n"
        ).encode()
        + orig
        + b"\r\n--ndr--\r\n"
    )


def lotus(orig: bytes, rcpt: str, robot: bool = True) -> bytes:
    """Lotus Domino's delivery failure report."""
    frm = _sender(robot, "Postmaster <postmaster@notes.example.com>",
                  "Mail Router <router@notes.example.com>")  # fmt: skip
    head = _headers(frm, "DELIVERY FAILURE: User not listed in Domino Directory")
    text = (
        "Your message\r\n\r\n  Subject: Re: DFME LA [DFME-LA #42]\r\n\r\n"
        "was not delivered to:\r\n\r\n"
        f"  {rcpt}\r\n\r\n"
        "because:\r\n\r\n"
        "  User not listed in Domino Directory\r\n"
    )
    return (
        (
            head + "Content-Type: multipart/mixed; boundary=lotus\r\n\r\n--lotus\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + text + "\r\n--lotus\r\n"
            "Content-Type: message/rfc822\r\n\r\n"
        ).encode()
        + orig
        + b"\r\n--lotus--\r\n"
    )


def antivirus(orig: bytes, rcpt: str, robot: bool = True) -> bytes:
    """An InterScan-style antivirus gateway returning the message it would not pass on."""
    frm = _sender(robot, "postmaster@gw.example.org", "InterScan Gateway <scanner@gw.example.org>")
    head = _headers(frm, "Mail could not be delivered")
    text = (
        "****** Message from InterScan E-Mail VirusWall NT ******\r\n\r\n"
        "Sent <<< RCPT TO:<" + rcpt + ">\r\n"
        "Received >>> 550 5.7.1 Message rejected: attachment type not allowed\r\n\r\n"
        f"Unable to deliver message to <{rcpt}>.\r\n\r\n"
        "************************ End of message **********************\r\n"
    )
    return (
        (
            head + "Content-Type: multipart/mixed; boundary=av\r\n\r\n--av\r\n"
            "Content-Type: text/plain\r\n\r\n" + text + "\r\n--av\r\n"
            "Content-Type: message/rfc822\r\n\r\n"
        ).encode()
        + orig
        + b"\r\n--av--\r\n"
    )


def postfix_dsn(orig: bytes, rcpt: str, robot: bool = True) -> bytes:
    """Postfix's RFC 3464 report (the one shape the bot always knew)."""
    frm = _sender(robot, "MAILER-DAEMON@mx.example.net (Mail Delivery System)",
                  "Mail Delivery System <delivery@mx.example.net>")  # fmt: skip
    head = _headers(frm, "Undelivered Mail Returned to Sender", "Auto-Submitted: auto-replied\r\n")
    return (
        (
            head + 'Content-Type: multipart/report; report-type=delivery-status; boundary="pf"\r\n'
            "\r\n--pf\r\nContent-Type: text/plain\r\n\r\n"
            "I'm sorry to have to inform you that your message could not\r\n"
            "be delivered to one or more recipients.\r\n\r\n"
            "--pf\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
            "--pf\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + orig
        + b"\r\n--pf--\r\n"
    )


def mailman(orig: bytes, rcpt: str, robot: bool = True) -> bytes:
    """A Mailman list's 'held for moderation' notice, with the message attached."""
    frm = "dfme-users-owner@lists.example.org" if robot else "dfme-users@lists.example.org"
    head = _headers(
        frm, "Your message to DFME-users awaits moderator approval",
        "List-Id: <dfme-users.lists.example.org>\r\nPrecedence: bulk\r\n"
        "X-BeenThere: dfme-users@lists.example.org\r\n",
    )  # fmt: skip
    return (
        (
            head + "Content-Type: multipart/mixed; boundary=mm\r\n\r\n--mm\r\n"
            "Content-Type: text/plain\r\n\r\nYour mail to 'DFME-users' is being held until the list"
            " moderator can review it for approval.\r\n\r\n--mm\r\n"
            "Content-Type: message/rfc822\r\n\r\n"
        ).encode()
        + orig
        + b"\r\n--mm--\r\n"
    )


def listserv(orig: bytes, rcpt: str, robot: bool = True) -> bytes:
    """L-Soft LISTSERV answering a message it took for commands."""
    frm = "L-Soft list server <LISTSERV@LISTS.EXAMPLE.EDU>"
    head = _headers(frm, "Output of your job", "")
    body = (
        "> Dear applicant, we cannot accept your application yet.\r\n"
        'Unknown command - "DEAR". Try HELP.\r\n\r\n'
        "Summary of resource utilization\r\n-------------------------------\r\n"
    )
    return (head + "Content-Type: text/plain\r\n\r\n" + body).encode()


Builder = Callable[[bytes, str, bool], bytes]

#: The MTAs and robots; flufl.bounce recognises the first seven by their shape alone.
SHAPES: dict[str, Builder] = {
    "sendmail": sendmail,
    "qmail": qmail,
    "exim": exim,
    "exchange": exchange,
    "lotus": lotus,
    "antivirus": antivirus,
    "postfix_dsn": postfix_dsn,
    "mailman": mailman,
    "listserv": listserv,
}
BY_SHAPE = ("sendmail", "qmail", "exim", "exchange", "lotus", "antivirus", "postfix_dsn")
