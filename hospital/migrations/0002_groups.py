"""Creates the two API groups: `farmacia` reads, `prescritor` writes."""

from django.db import migrations

from hospital.migration_ops import create_groups


class Migration(migrations.Migration):
    dependencies = [("hospital", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [create_groups("farmacia", "prescritor")]
