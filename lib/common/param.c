/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generic handling of the declarative parameter tables (see ctg_param.h).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_param.h"

static uint64_t *
field(const struct ctg_param_desc *d, void *base)
{
	return (uint64_t *)(void *)((char *)base + d->offset);
}

void
ctg_param_defaults(const struct ctg_param_table *table, void *base)
{
	for (const struct ctg_param_desc *d = table->params; d->name != NULL; d++)
		*field(d, base) = d->def;
}

const struct ctg_param_desc *
ctg_param_find(const struct ctg_param_table *table, const char *name)
{
	for (const struct ctg_param_desc *d = table->params; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

int
ctg_param_set(const struct ctg_param_table *table, void *base, const char *name,
		const char *value)
{
	const struct ctg_param_desc *d = ctg_param_find(table, name);
	unsigned long long v;
	char *end;

	if (d == NULL)
		return -ENOENT;
	if (value == NULL || *value == '\0' || *value == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(value, &end, 0);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	if (v < d->min || v > d->max)
		return -ERANGE;
	*field(d, base) = v;
	return 0;
}

uint64_t
ctg_param_get(const struct ctg_param_desc *d, const void *base)
{
	return *(const uint64_t *)(const void *)((const char *)base + d->offset);
}

void
ctg_param_dump(const struct ctg_param_table *table, const void *base, FILE *f)
{
	for (const struct ctg_param_desc *d = table->params; d->name != NULL; d++)
		fprintf(f, "%s = %" PRIu64 "\n", d->name, ctg_param_get(d, base));
}
