/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTGATE_RULE_STUB_H_
#define CTGATE_RULE_STUB_H_

#include <stdbool.h>

/** True when every lib/rule entry point ctgate uses is the real library (rule_stub.c). */
bool ctgate_rules_available(void);

#endif /* CTGATE_RULE_STUB_H_ */
