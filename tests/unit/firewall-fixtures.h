/*
 * What the test-firewall-*.c files share: cmocka's headers, the model and
 * the backends, and one rule on INPUT to add or delete.
 */
#ifndef FIREWALL_FIXTURES_H
#define FIREWALL_FIXTURES_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend.h"
#include "firewall-priv.h"
#include "error.h"
#include "text.h"

#define ADD(fw, src) \
    virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "INPUT", \
                       "--source", src, "--jump", "ACCEPT", NULL)
#define DEL(fw, src) \
    virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-D", "INPUT", \
                       "--source", src, "--jump", "ACCEPT", NULL)

#endif /* FIREWALL_FIXTURES_H */
