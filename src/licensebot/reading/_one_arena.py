"""Imported first by the sandbox's fork server: one malloc arena for every reader it forks
(`heap.one_arena`), taken before anything it preloads starts a thread."""

from licensebot.reading.heap import one_arena

one_arena()
