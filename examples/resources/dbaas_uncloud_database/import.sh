# An Uncloud database is imported by its ID (the same string as the resource's `id`).
terraform import dbaas_uncloud_database.orders db_3f9a1c2b7d4e5f60
