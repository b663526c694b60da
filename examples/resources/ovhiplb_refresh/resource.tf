resource "ovhiplb_http_frontend" "web" {
  service_name    = "loadbalancer-0123abcd"
  port            = "80"
  zone            = "all"
  default_farm_id = 11
}

# Deploys the load balancer's configuration once per apply, after the frontend:
# depends_on orders it after the frontend's create/update, and the trigger re-deploys whenever the
# frontend changes. Pending changes made outside Terraform show up in `terraform plan` as an
# update of this resource too.
resource "ovhiplb_refresh" "this" {
  service_name = "loadbalancer-0123abcd"

  triggers = {
    web = sha1(jsonencode(ovhiplb_http_frontend.web))
  }

  depends_on = [ovhiplb_http_frontend.web]

  timeouts {
    create = "15m"
    update = "15m"
  }
}

# Deploy one zone only.
resource "ovhiplb_refresh" "gra" {
  service_name = "loadbalancer-0123abcd"
  zone         = "gra"
}
