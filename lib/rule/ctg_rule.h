/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_RULE_H_
#define CTG_RULE_H_
/* Placeholder until the rules library lands. */
#endif /* CTG_RULE_H_ */
