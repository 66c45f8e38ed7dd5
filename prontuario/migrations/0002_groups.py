"""Creates the two API groups: `integracao` (other hospital systems deliver their events, one source per user),
`clinico` (reads the records)."""

from django.db import migrations

from hospital.migration_ops import create_groups


class Migration(migrations.Migration):
    dependencies = [("prontuario", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [create_groups("integracao", "clinico")]
