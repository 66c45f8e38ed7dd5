"""Copy bench/results/latest.md into bench/README.md between its markers (run after `make bench`)."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- latest.md begins -->", "<!-- latest.md ends -->"


def main() -> None:
    readme = HERE / "README.md"
    text = readme.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    table = (HERE / "results" / "latest.md").read_text().strip()
    readme.write_text(f"{head}{BEGIN}\n\n{table}\n\n{END}{tail}")


if __name__ == "__main__":
    main()
