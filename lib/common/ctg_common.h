/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_COMMON_H_
#define CTG_COMMON_H_

/**
 * @file
 * Small helpers shared by every ctgate library. Nothing here needs the EAL.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTG_LIKELY(x)	__builtin_expect(!!(x), 1)
#define CTG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CTG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CTG_CACHE_LINE	64
#define CTG_CACHE_ALIGNED __attribute__((aligned(CTG_CACHE_LINE)))
#define CTG_UNUSED	__attribute__((unused))
#define CTG_MIN(a, b)	((a) < (b) ? (a) : (b))
#define CTG_MAX(a, b)	((a) > (b) ? (a) : (b))

#define CTG_NS_PER_S  1000000000ULL
#define CTG_NS_PER_MS 1000000ULL

/** Seconds to nanoseconds. */
static inline uint64_t
ctg_s_to_ns(uint64_t s)
{
	return s * CTG_NS_PER_S;
}

/** Read a big-endian 16-bit value at an unaligned address. */
static inline uint16_t
ctg_get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/** Read a big-endian 32-bit value at an unaligned address. */
static inline uint32_t
ctg_get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/** Write a big-endian 16-bit value at an unaligned address. */
static inline void
ctg_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/** Write a big-endian 32-bit value at an unaligned address. */
static inline void
ctg_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/** 32-bit sequence-number comparisons (RFC 1982 serial arithmetic, as TCP uses). */
static inline bool
ctg_seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
ctg_seq_after(uint32_t a, uint32_t b)
{
	return ctg_seq_before(b, a);
}

#endif /* CTG_COMMON_H_ */
