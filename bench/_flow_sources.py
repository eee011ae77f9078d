"""Diagram sources for bench/render_flows.sh, and the HTML page that renders one.

``python bench/_flow_sources.py ROOT OUT_DIR``: writes ``OUT_DIR/<name>.mmd`` for every flow
of ``ROOT/examples/*`` (as ``gsctl graph`` draws it), every ``tests/render/golden/*.mmd``
and every Mermaid block of ``tests/render/golden/plan.md``.
``python bench/_flow_sources.py --page FILE.mmd``: prints a page that parses and renders
FILE with ``mermaid.min.js`` (next to the page) and marks ``<body data-status="ok">`` (and
``data-size="W,H"``, the window size for a screenshot of the whole diagram), or
``"error"`` with the message in ``<pre id="error">``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><script src="mermaid.min.js"></script>
<style>body {{ margin: 12px; background: #fff; font-family: sans-serif; }}</style></head>
<body><div id="out"></div>
<script>
const text = {text};
mermaid.initialize({{
  startOnLoad: false, securityLevel: "strict", flowchart: {{ useMaxWidth: false }}
}});
(async () => {{
  try {{
    await mermaid.parse(text);
    const {{ svg }} = await mermaid.render("diagram", text);
    document.getElementById("out").innerHTML = svg;
    const box = document.querySelector("#out svg").getBoundingClientRect();
    const size = [Math.ceil(box.width) + 24, Math.ceil(box.height) + 24];
    document.body.setAttribute("data-size", size.join(","));
    document.body.setAttribute("data-status", "ok");
  }} catch (e) {{
    const pre = document.createElement("pre");
    pre.id = "error";
    pre.textContent = String((e && e.message) || e).replace(/\\s+/g, " ");
    document.body.appendChild(pre);
    document.body.setAttribute("data-status", "error");
  }}
}})();
</script></body></html>
"""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def sources(root: Path) -> dict[str, str]:
    """Diagram name -> Mermaid text."""
    from gsctl.manifests.validate import load_desired
    from gsctl.render import mermaid

    out: dict[str, str] = {}
    for example in sorted((root / "examples").iterdir()):
        if not example.is_dir() or not list(example.rglob("*.yaml")):
            continue
        desired = load_desired([str(example)], team=None, env={}, strict_env=False)
        for res in desired.by_kind("flow"):
            d = mermaid.flow_diagram(
                res.name, res.fields.get("nodes"), res.fields.get("contact_sources")
            )
            out[f"{example.name}-{slug(res.name)}"] = mermaid.to_mermaid(d)
    golden = root / "tests" / "render" / "golden"
    for path in sorted(golden.glob("*.mmd")):
        out[f"golden-{path.stem.replace('_', '-')}"] = path.read_text()
    blocks = re.findall(r"```mermaid\n(.*?)```", (golden / "plan.md").read_text(), re.S)
    for i, block in enumerate(blocks):
        out[f"golden-plan-md-{i + 1}"] = block
    return out


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--page":
        text = Path(argv[1]).read_text()
        sys.stdout.write(PAGE.format(text=json.dumps(text).replace("</", "<\\/")))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, text in sources(Path(argv[0])).items():
        (out / f"{name}.mmd").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
