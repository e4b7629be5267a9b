/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_PARAM_H_
#define CTG_PARAM_H_

/**
 * @file
 * Runtime tunables as declarative tables (NPF's npf_param idea): each module describes
 * its parameters once, { name, offset in its parameter struct, default, min, max }, and
 * one generic code path sets, prints and validates them (replay's --sysctl, the config
 * file, the console's `set param`, telemetry).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** One tunable: a uint64_t field of a module's parameter struct. */
struct ctg_param_desc {
	const char *name;   /**< kernel sysctl name where one exists (nf_conntrack_...) */
	size_t offset;	    /**< offsetof() the uint64_t field in the module's struct */
	uint64_t def;	    /**< default value */
	uint64_t min;	    /**< smallest accepted value */
	uint64_t max;	    /**< largest accepted value */
	const char *help;   /**< one line */
};

/** A module's table, terminated by an entry with name == NULL. */
struct ctg_param_table {
	const char *module;			/**< "ct", "frag", ... */
	const struct ctg_param_desc *params;	/**< NULL-terminated */
};

/**
 * Set every parameter of @p table in @p base to its default.
 * Context: any. Concurrency: the caller owns @p base.
 */
void ctg_param_defaults(const struct ctg_param_table *table, void *base);

/**
 * Find a parameter by name.
 * @return the descriptor, or NULL.
 */
const struct ctg_param_desc *ctg_param_find(const struct ctg_param_table *table,
		const char *name);

/**
 * Parse @p value and set parameter @p name in @p base, checking its bounds.
 * @return 0, -ENOENT for an unknown name, -EINVAL for a malformed number,
 *   -ERANGE for a value outside [min, max].
 */
int ctg_param_set(const struct ctg_param_table *table, void *base, const char *name,
		const char *value);

/** Read a parameter's value. */
uint64_t ctg_param_get(const struct ctg_param_desc *d, const void *base);

/** Print "name = value" lines for every parameter. */
void ctg_param_dump(const struct ctg_param_table *table, const void *base, FILE *f);

#endif /* CTG_PARAM_H_ */
