"""Every exported dashboard type-checks against Grafana's own `Dashboard` type (@grafana/schema 13.2.3, strict
TypeScript), without a Grafana server: one generated .ts file holds each dashboard's JSON as a constant that
`satisfies` the type. `make test` installs the pinned packages (scripts/ensure-grafana-schema.sh)."""
import json
import subprocess
from pathlib import Path

from dashboards.catalogue import dashboards

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "build" / "grafana-schema"
# The JSON a dashboard is stored as: an enum member is written as its string value.
HEADER = """import type { Dashboard } from '@grafana/schema';
type Json<T> = T extends string ? `${T}` : T extends (infer U)[] ? Json<U>[]
  : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
"""


def type_check(models: list[dict], where: Path) -> subprocess.CompletedProcess:
    tsc = PACKAGES / "node_modules" / ".bin" / "tsc"
    assert tsc.exists(), f"{tsc} is missing: run `bash scripts/ensure-grafana-schema.sh` (make test does)"
    body = "".join(f"export const d{n} = {json.dumps(model, ensure_ascii=False, indent=1)} satisfies Json<Dashboard>;\n"
                   for n, model in enumerate(models))
    source = where / "dashboards.ts"
    source.write_text(HEADER + body, "utf-8")
    (where / "node_modules").symlink_to(PACKAGES / "node_modules")  # resolve @grafana/schema from beside the file
    return subprocess.run([str(tsc), "--noEmit", "--strict", "--skipLibCheck", "--target", "es2022", "--module",
                           "esnext", "--moduleResolution", "bundler", str(source)],
                          capture_output=True, text=True, timeout=120)


def test_every_dashboard_satisfies_grafanas_dashboard_type(tmp_path):
    models = [model for _, model in dashboards()]
    assert len(models) >= 6
    result = type_check(models, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_catches_a_wrong_enum_and_a_misspelt_key(tmp_path):
    _, model = dashboards()[0]
    broken = json.loads(json.dumps(model))
    broken["panels"][0]["gridPos"]["width"] = 3
    broken["panels"][1]["fieldConfig"]["defaults"]["thresholds"]["mode"] = "absolut"
    result = type_check([broken], tmp_path)
    assert result.returncode != 0
    assert "'\"width\"' does not exist" in result.stdout and '"absolut"' in result.stdout
