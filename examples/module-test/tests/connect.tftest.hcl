# `terraform test`: applies the module against the API the variables name (the emulator with
# --real-engines, see main.tf), checks what it reports, and destroys everything afterwards.
# The apply itself fails unless the smoke test's psql connections succeed.

run "creates_a_database_that_an_app_can_use" {
  command = apply

  assert {
    condition     = dbaas_database_cluster.app.password == null
    error_message = "secrets_in_state = false keeps the admin password out of state"
  }

  assert {
    condition     = dbaas_database_user.app.password == null
    error_message = "secrets_in_state = false keeps the user's password out of state"
  }

  assert {
    condition     = dbaas_database_connection_pool.app.port != dbaas_database_cluster.app.port
    error_message = "the pool answers on its own port"
  }

  assert {
    condition     = terraform_data.smoke_test.id != ""
    error_message = "the smoke test ran"
  }
}
