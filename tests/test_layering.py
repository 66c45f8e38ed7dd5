"""Dependencies between our apps point one way, read from every production module's imports (ast).

The layers, bottom to top: outbox; hospital (project package and master data); prescriptions; pharmacy;
prontuario; monitoring; demo. Each app imports only the apps below it. The local-server supervisor
(`hospital.devserver`) is imported only by itself and by the entry points that start servers.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("hospital", "outbox", "prescriptions", "pharmacy", "prontuario", "monitoring", "demo")
DEVSERVER = "hospital.devserver"

#: app -> our apps it must not import
FORBIDDEN = {
    "outbox": {"hospital", "prescriptions", "pharmacy", "prontuario", "monitoring", "demo"},
    "hospital": {"prescriptions", "pharmacy", "prontuario", "monitoring", "demo"},
    "prescriptions": {"pharmacy", "prontuario", "monitoring", "demo"},
    "pharmacy": {"prontuario", "monitoring", "demo"},
    "prontuario": {"monitoring", "demo"},
    "monitoring": {"demo"},
}

#: the wiring edges that point up (project wiring, like the URLconf's string includes): the Celery app connects the
#: worker's metrics signals at import, because Celery sends `celeryd_init` before Django's apps are ready; the WSGI
#: entry point serves through the pharmacy's handler, which answers its plain reads before the middleware.
ALLOWED = {
    ("hospital/celery.py", "monitoring.worker"),
    ("hospital/wsgi.py", "pharmacy.fast_reads"),
    ("hospital/wsgi.py", "pharmacy.fast_reads.FastReadHandler"),
}

#: modules that start the embedded servers: the supervisor itself and the commands and scripts that launch things
ENTRY_POINTS = ("manage.py", "hospital/management/commands/runstack.py")


def production_modules() -> list[Path]:
    modules = [ROOT / "manage.py"]
    for app in APPS:
        if (ROOT / app).is_dir():
            modules += sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)
    return modules


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name `path` imports, at any depth (function-local imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def violations() -> list[str]:
    found = []
    for path in production_modules():
        relative = path.relative_to(ROOT).as_posix()
        app = relative.split("/")[0]
        imports = imported_modules(path)
        for name in sorted(imports):
            top = name.split(".")[0]
            if top in FORBIDDEN.get(app, ()) and (relative, name) not in ALLOWED:
                found.append(f"{relative} imports {name} ({app} must not depend on {top})")
            in_supervisor = relative.startswith("hospital/devserver/") or relative in ENTRY_POINTS
            if (name == DEVSERVER or name.startswith(DEVSERVER + ".")) and not in_supervisor:
                found.append(f"{relative} imports {name} (only the entry points start the local servers)")
    return found


def test_production_modules_exist():
    assert len(production_modules()) > 50


def test_dependencies_point_one_way():
    assert violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import outbox.models", {"outbox.models"}),
        ("from hospital.devserver import embedded", {"hospital.devserver", "hospital.devserver.embedded"}),
        ("def f():\n    from pharmacy.status import sync_status", {"pharmacy.status", "pharmacy.status.sync_status"}),
    ],
)
def test_imports_are_read_at_any_depth(tmp_path, source, expected):
    module = tmp_path / "module.py"
    module.write_text(source)
    assert imported_modules(module) >= expected
