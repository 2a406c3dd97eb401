# A cluster's firewall is imported by the cluster's UUID; the import brings in all its
# rules. List every one of them in `rule` blocks, or the next apply removes the missing ones.
terraform import dbaas_database_firewall.main 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
