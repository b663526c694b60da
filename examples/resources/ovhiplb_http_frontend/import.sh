# The ID is service_name/frontend_id.
terraform import ovhiplb_http_frontend.web loadbalancer-0123abcd/42
