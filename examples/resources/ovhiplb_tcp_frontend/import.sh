# The ID is service_name/frontend_id.
terraform import ovhiplb_tcp_frontend.tls loadbalancer-0123abcd/43
