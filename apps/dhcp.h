// dhcp.c: the DHCP client netd runs (RFC 2131).
void dhcp_start(void);   // take UDP port 68 and ask for a lease, unless booted with DHCP=0
void dhcp_serve(void);   // after each turn of netd's stack: replies in, timers out
