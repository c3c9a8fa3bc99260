"""What a static tool reported, in one shape for every tool."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One problem a tool reported.

    Attributes:
        gate: the tool and template (a ``Gate`` value, or a caller's label for other templates).
        rule: the tool's id for the problem: ``W3037``, ``CKV_AWS_111``, ``RESOURCE_STAR``...;
            ``InvalidSamDocument`` for sam validate and the offline translation.
        resource: the logical id the finding is on (for parliament, the role's logical id).
        message: the tool's message.
        location: ``file:line`` when the tool gives one.
        document: parliament only: which policy of the role (``inline:NAME`` or ``managed:NAME``).
        details: parliament only: the actions (or text) the finding is about.
    """

    gate: str
    rule: str
    resource: str
    message: str
    location: str = ""
    document: str = ""
    details: tuple[str, ...] = ()

    def describe(self, width: int = 240) -> str:
        message = self.message if len(self.message) <= width else self.message[: width - 3] + "..."
        where = "/".join(part for part in (self.resource, self.document) if part)
        suffix = f" ({self.location})" if self.location else ""
        return f"{self.gate:<20} {self.rule:<20} {where or '-'}: {message}{suffix}"
