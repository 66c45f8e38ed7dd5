"""One lock protocol for every refresh of prescriptions (pharmacy/sql/0007_lock_protocol.sql)."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
SQL = (SQL_DIR / "0007_lock_protocol.sql").read_text()
REVERSE_SQL = (SQL_DIR / "0006_serialize_refresh.sql").read_text() + (
    "\nDROP FUNCTION IF EXISTS pharmacy_lock_prescricoes(bigint[]);\nDROP FUNCTION IF EXISTS pharmacy_lock_key(bigint);\n"
)


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0006_serialize_refresh")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE_SQL)]
