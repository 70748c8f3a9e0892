"""Validate incoming messages, one JSON object a line, and report each invalid one.

    python examples/validate_messages.py messages.jsonl
    producer | python examples/validate_messages.py -            # standard input
    python examples/validate_messages.py --type file_lifecycle events.jsonl
    python examples/validate_messages.py --routing-key analysis.request requests.jsonl

Each line is validated with ``tracktion.contracts.validate_message``: by the type given,
else inferred from the routing key, else from the message's own fields (``auto``). A valid
line prints ``line N: valid TYPE``; an invalid one prints ``line N: invalid TYPE`` and one
indented line per field error (its dotted location, the reason and the rejected value).
Blank lines are skipped. The exit status is 0 when every message is valid, 1 when one is
not, 2 for a usage problem (an unreadable file, an unknown ``--type``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tracktion.contracts import (
    ContractValidationError,
    FieldError,
    UnknownMessageTypeError,
    get_message_spec,
    spec_for_model,
    validate_message,
)

__all__ = ["LineReport", "main", "report_lines", "validate_lines"]


@dataclass(frozen=True, slots=True)
class LineReport:
    """The verdict on one line: the message type (when known) and its field errors.

    ``message_type`` is ``None`` when no contract could be chosen for the line; then
    ``problem`` says why.
    """

    line: int
    message_type: str | None
    errors: tuple[FieldError, ...] = ()
    problem: str | None = None

    @property
    def is_valid(self) -> bool:
        """Whether the line is a valid message."""
        return self.message_type is not None and not self.errors and self.problem is None


def validate_lines(
    lines: Iterable[str], message_type: str = "auto", routing_key: str | None = None
) -> Iterator[LineReport]:
    """Validate every non-blank line as one message; yield a report per line (1-based).

    Raises ``UnknownMessageTypeError`` when ``message_type`` names no contract, before
    any line is read.
    """
    if message_type != "auto":
        get_message_spec(message_type)
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            model = validate_message(text.strip(), message_type, routing_key)
        except ContractValidationError as error:
            yield LineReport(number, error.message_type, error.errors)
        except UnknownMessageTypeError as error:
            yield LineReport(number, None, problem=str(error))
        else:
            yield LineReport(number, spec_for_model(type(model)).name)


def report_lines(report: LineReport) -> list[str]:
    """The lines printed for one report."""
    if report.message_type is None:
        return [f"line {report.line}: unknown message: {report.problem}"]
    if report.is_valid:
        return [f"line {report.line}: valid {report.message_type}"]
    return [f"line {report.line}: invalid {report.message_type}"] + [
        f"  {error}" for error in report.errors
    ]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", help="a file of JSON lines, or - for standard input")
    parser.add_argument("--type", default="auto", help="a message type name (default: auto)")
    parser.add_argument("--routing-key", default=None, help="the key the messages came with")
    args = parser.parse_args(argv)
    try:
        if args.source == "-":
            reports = list(validate_lines(sys.stdin, args.type, args.routing_key))
        else:
            with open(args.source, encoding="utf-8") as handle:
                reports = list(validate_lines(handle, args.type, args.routing_key))
    except (OSError, UnicodeDecodeError, UnknownMessageTypeError) as error:
        print(f"error: {args.source}: {error}", file=sys.stderr)
        return 2
    for report in reports:
        print("\n".join(report_lines(report)))
    invalid = sum(not report.is_valid for report in reports)
    print(f"{len(reports) - invalid} valid, {invalid} invalid", file=sys.stderr)
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
