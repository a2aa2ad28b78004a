import io
import json
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from licensebot.cli.app import app
from licensebot.core.la import LaVersion
from tests.forms.factory import make_spec, render

CONFIG = Path(__file__).resolve().parents[3] / "config"


def test_parse_json_prints_the_contract_fields(tmp_path: Path, current: LaVersion) -> None:
    spec = make_spec(31, current, medium="digital", layout="word", hand="typed")
    pdf = tmp_path / "DFME_License_Agreement_X.pdf"
    pdf.write_bytes(render(spec))
    result = CliRunner().invoke(app, ["parse", str(pdf), "--json", "--config-dir", str(CONFIG)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["fields"]["signer_name"] == spec.truth["signer_name"]
    assert out["fields"]["date"] == spec.truth["date"]
    assert out["scanned"] is False and out["form_version"] == current.id
    assert "confidence" in out


def test_form_writes_the_blank_form_fillable_or_flat(tmp_path: Path) -> None:
    fillable, flat = tmp_path / "fillable.pdf", tmp_path / "flat.pdf"
    runner = CliRunner()
    args = ["--config-dir", str(CONFIG)]
    assert runner.invoke(app, ["form", "-o", str(fillable), *args]).exit_code == 0
    assert runner.invoke(app, ["form", "--flat", "-o", str(flat), *args]).exit_code == 0
    fields = PdfReader(io.BytesIO(fillable.read_bytes())).get_fields() or {}
    assert {"signer_name", "work_email", "date"} <= set(fields)
    assert not PdfReader(io.BytesIO(flat.read_bytes())).get_fields()
