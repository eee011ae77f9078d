"""Showing: plans as text, JSON and Markdown (:mod:`.plan`), comparisons shown like plans
(:mod:`.diff`), apply progress and reports (:mod:`.report`), flow diagrams (:mod:`.mermaid`,
:mod:`.steps`), doctor reports (:mod:`.doctor`). Pure: no I/O, no API calls.

May import :mod:`gsctl.reconcile` (the plan's value types), :mod:`gsctl.model` and
:mod:`gsctl.errors`.
"""

from gsctl.render import doctor
from gsctl.render.plan import plan_json, plan_markdown, plan_text
from gsctl.render.report import progress_line, report_json, report_text

__all__ = [
    "doctor",
    "plan_json",
    "plan_markdown",
    "plan_text",
    "progress_line",
    "report_json",
    "report_text",
]
