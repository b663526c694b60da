# The ID is service_name/frontend_id.
terraform import ovhiplb_udp_frontend.dns loadbalancer-0123abcd/44
