terraform {
  required_providers {
    dbaas = {
      source = "dbaas/dbaas"
    }
  }
}

# The token is read from DBAAS_TOKEN, DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN, so it
# never has to appear in configuration. The endpoint defaults to https://api.digitalocean.com
# (or DBAAS_API_URL / DIGITALOCEAN_API_URL when set).
provider "dbaas" {
  # Optional tuning; these are the defaults.
  http_retry_max      = 4
  http_retry_wait_min = "1s"
  http_retry_wait_max = "30s"
  request_timeout     = "60s"
  poll_interval       = "10s"

  # The self-hosted Uncloud platform, for the dbaas_uncloud_* types only (UNCLOUD_API_URL and
  # UNCLOUD_TOKEN work too). Either platform may be left unconfigured.
  # uncloud_endpoint = "http://uncloud.internal:8080"
}
