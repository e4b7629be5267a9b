/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_RULE_PRIVATE_H_
#define CTG_RULE_PRIVATE_H_

#ifndef CTG_RULE_INTERNAL
#error "rule_private.h is internal to lib/rule"
#endif

/*
 * Internal representation of a loaded rule set, shared by rule_parse.c (text -> rules),
 * rule_compile.c (ordering, loop check, classifier), rule_eval.c, rule_reject.c and
 * rule_save.c. Everything here is immutable once ctg_rule_set_load_*() returns.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ctg_rule.h"

#define RULE_CHAIN_NAME_MAX 29 /* XT_EXTENSION_MAXNAMELEN, with the NUL */
#define RULE_MULTIPORT_MAX  15 /* XT_MULTI_PORTS */
#define RULE_MAX_DEPTH	    64 /* deepest chain call stack accepted at load */
#define RULE_MAX_PORTS	    64 /* -i/-o are resolved to a 64-bit port mask */

enum rule_table {
	RULE_TABLE_FILTER,
	RULE_TABLE_RAW,
	RULE_TABLE_COUNT
};

/* -m ttl / -m hl comparisons (xt_ttl / xt_hl). */
#define RULE_TTL_EQ 0
#define RULE_TTL_NE 1
#define RULE_TTL_LT 2
#define RULE_TTL_GT 3
#define RULE_TTL_NONE 0xff

/* Match kinds; one X-macro list for the enum and the -m names. */
#define RULE_MATCHES(X)                                                                  \
	X(TCP, "tcp")                                                                    \
	X(UDP, "udp")                                                                    \
	X(ICMP, "icmp")                                                                  \
	X(ICMP6, "icmp6")                                                                \
	X(MULTIPORT, "multiport")                                                        \
	X(STATE, "state")                                                                \
	X(CONNTRACK, "conntrack")                                                        \
	X(IPRANGE, "iprange")                                                            \
	X(LENGTH, "length")                                                              \
	X(LIMIT, "limit")                                                                \
	X(COMMENT, "comment")                                                            \
	X(MARK, "mark")                                                                  \
	X(CONNMARK, "connmark")                                                          \
	X(HELPER, "helper")                                                              \
	X(TTL, "ttl")                                                                    \
	X(HL, "hl")                                                                      \
	X(DSCP, "dscp")

enum rule_match_kind {
#define RULE_X(n, s) RM_##n,
	RULE_MATCHES(RULE_X)
#undef RULE_X
	RM_COUNT
};

/* Targets. JUMP/GOTO name a user chain. */
#define RULE_TARGETS(X)                                                                  \
	X(NONE, "")                                                                      \
	X(ACCEPT, "ACCEPT")                                                              \
	X(DROP, "DROP")                                                                  \
	X(RETURN, "RETURN")                                                              \
	X(JUMP, "")                                                                      \
	X(GOTO, "")                                                                      \
	X(REJECT, "REJECT")                                                              \
	X(LOG, "LOG")                                                                    \
	X(NFLOG, "NFLOG")                                                                \
	X(NOTRACK, "NOTRACK")                                                            \
	X(CT, "CT")                                                                      \
	X(MARK, "MARK")                                                                  \
	X(CONNMARK, "CONNMARK")

enum rule_target_kind {
#define RULE_X(n, s) RT_##n,
	RULE_TARGETS(RULE_X)
#undef RULE_X
	RT_COUNT
};

/* State bits (-m state / --ctstate). */
#define RULE_ST_INVALID	    0x01
#define RULE_ST_ESTABLISHED 0x02
#define RULE_ST_RELATED	    0x04
#define RULE_ST_NEW	    0x08
#define RULE_ST_UNTRACKED   0x10
#define RULE_ST_SNAT	    0x20
#define RULE_ST_DNAT	    0x40

/* conntrack match flags (XT_CONNTRACK_*), also used for its invert flags. */
#define RULE_CT_STATE	     0x0001
#define RULE_CT_PROTO	     0x0002
#define RULE_CT_ORIGSRC	     0x0004
#define RULE_CT_ORIGDST	     0x0008
#define RULE_CT_REPLSRC	     0x0010
#define RULE_CT_REPLDST	     0x0020
#define RULE_CT_STATUS	     0x0040
#define RULE_CT_ORIGSRC_PORT 0x0100
#define RULE_CT_ORIGDST_PORT 0x0200
#define RULE_CT_REPLSRC_PORT 0x0400
#define RULE_CT_REPLDST_PORT 0x0800
#define RULE_CT_DIRECTION    0x1000

/* Invert flags of the rule's IP part and of port/flag matches. */
#define RULE_INV_PROTO 0x01
#define RULE_INV_SRC   0x02
#define RULE_INV_DST   0x04
#define RULE_INV_IN    0x08
#define RULE_INV_OUT   0x10
#define RULE_INV_FRAG  0x20

#define RULE_PINV_SPT  0x01
#define RULE_PINV_DPT  0x02
#define RULE_PINV_FLG  0x04
#define RULE_PINV_OPT  0x08
#define RULE_PINV_SRC  0x10 /* iprange src */
#define RULE_PINV_DST  0x20 /* iprange dst */
#define RULE_PINV_SRCR 0x40 /* iprange: has src range */
#define RULE_PINV_DSTR 0x80 /* iprange: has dst range */

enum rule_mp_kind {
	RULE_MP_SRC,
	RULE_MP_DST,
	RULE_MP_ANY
};

/* One match of a rule (-m NAME and its options), evaluated in rule order. */
struct rule_match {
	uint8_t kind; /* enum rule_match_kind */
	uint8_t inv;  /* RULE_PINV_* or a plain 0/1 for single-option matches */
	union {
		struct {
			uint16_t spt[2];
			uint16_t dpt[2];
			uint8_t flg_mask;
			uint8_t flg_cmp;
			uint8_t option; /* 0: none */
		} tcp;		       /* tcp and udp */
		struct {
			uint8_t type; /* 0xff with any */
			uint8_t code[2];
			uint8_t any;
		} icmp; /* icmp and icmp6 */
		struct {
			uint8_t kind; /* enum rule_mp_kind */
			uint8_t count;				/* entries in ports */
			uint16_t ports[RULE_MULTIPORT_MAX][2]; /* [lo, hi] */
		} mp;
		struct {
			uint16_t mask;
		} state;
		struct {
			uint16_t flags;
			uint16_t invflags;
			uint16_t state_mask;
			uint8_t l4proto;
			uint8_t dir; /* enum ctg_ct_dir */
			uint32_t status_mask;
			union ctg_addr addr[4]; /* origsrc, origdst, replsrc, repldst */
			union ctg_addr mask[4];
			uint16_t port[4][2]; /* same order, ranges */
		} ct;
		struct {
			union ctg_addr src[2];
			union ctg_addr dst[2];
		} iprange;
		struct {
			uint16_t min;
			uint16_t max;
		} length;
		struct {
			uint32_t avg;	/* XT_LIMIT_SCALE units per packet */
			uint32_t burst; /* --limit-burst */
			uint32_t cost;
			uint32_t cap;
			uint32_t slot; /* index of the token bucket in a counter block */
		} limit;
		struct {
			uint32_t value;
			uint32_t mask;
		} mark; /* mark and connmark */
		struct {
			char name[30];
		} helper;
		struct {
			uint8_t op; /* RULE_TTL_EQ / NE / LT / GT, RULE_TTL_NONE until given */
			uint8_t value;
		} ttl; /* ttl and hl */
		struct {
			uint8_t value; /* 0..63 */
			uint8_t given; /* --dscp or --dscp-class seen */
		} dscp;
	} u;
};

/* A rule: the IP part, the matches, the target. */
struct rule {
	/* IP part. */
	union ctg_addr src, smask, dst, dmask;
	uint64_t in_mask;  /* -i: ports matched */
	uint64_t out_mask; /* -o */
	char in_name[17];  /* -i as written, for listings ("!" prefix when inverted) */
	char out_name[17]; /* -o */
	uint32_t line;
	uint16_t chain; /* index in rs->chains */
	uint8_t family; /* 4 or 6 */
	uint8_t proto;	/* 0: any */
	uint8_t inv;	/* RULE_INV_* */
	uint8_t has_in;
	uint8_t has_out;
	uint8_t frag;
	/* Matches: rs->matches[match_first .. match_first + nb_match). */
	uint32_t match_first;
	uint16_t nb_match;
	/* Target. */
	uint8_t target;	 /* enum rule_target_kind */
	uint8_t reject;	 /* enum ctg_rule_reject */
	uint32_t jump;	 /* chain index for JUMP/GOTO */
	uint8_t log_level;
	uint8_t ct_notrack;
	uint8_t connmark_mode; /* 0 set, 1 save, 2 restore */
	uint8_t has_zone;
	uint16_t zone;
	uint16_t nflog_group;
	uint32_t mark_value; /* MARK: mark = (mark & ~mask) ^ value; CONNMARK set: ctmark */
	uint32_t mark_mask;  /* MARK mask; CONNMARK ctmask */
	uint32_t nfmask;     /* CONNMARK nfmask */
	char *log_prefix;    /* owned; "" when none */
	char *helper;	     /* CT --helper, owned */
	char *text;	     /* the rule's options as loaded, for save/list (owned) */
	char *jump_name;     /* parse time: JUMP/GOTO chain name until COMMIT resolves it */
	uint64_t base_pkts;  /* counters read from the file */
	uint64_t base_bytes;
};

/*
 * Classifier of one chain (rule_classify.c): every rule is filed under one dimension
 * (or the wild list); per dimension, sorted elementary intervals of the key space, each
 * with the ascending positions (in the chain) of the rules that can match a packet whose
 * key falls in it.
 */
enum rule_dim {
	RULE_DIM_SRC,	/* source address */
	RULE_DIM_DST,	/* destination address */
	RULE_DIM_SPORT, /* proto << 16 | source port */
	RULE_DIM_DPORT, /* proto << 16 | destination port */
	RULE_DIM_PROTO, /* transport protocol */
	RULE_DIM_STATE, /* index of the packet's state bit, RULE_CLS_NB_STATES of them */
	RULE_DIM_COUNT
};

#define RULE_CLS_NB_STATES 5

/* A classifier key: 128 bits, ordered hi then lo. */
struct rule_key {
	uint64_t hi;
	uint64_t lo;
};

struct rule_dim_index {
	uint32_t nb;		 /* elementary intervals; 0: no rule filed here */
	struct rule_key *starts; /* [nb] first key of each interval, ascending, starts[0] = 0 */
	uint32_t *s32;		 /* the same as 32-bit keys when every key fits (not IPv6) */
	uint32_t *off;		 /* [nb + 1] list of interval k: list[off[k] .. off[k + 1]) */
	uint32_t *list;		 /* rule positions */
	/*
	 * First level (s32 only): keys below base are in interval 0; a key x >= base is in
	 * bucket b = min((x - base) >> dir_shift, nb_dir - 1), whose intervals start at
	 * dir[b] - 1 .. dir[b + 1] - 1 (dir[b]: starts below the bucket's first key).
	 */
	uint32_t *dir; /* [nb_dir + 1], NULL when nb == 1 */
	uint32_t base;
	uint32_t nb_dir;
	uint8_t dir_shift;
};

struct rule_index {
	struct rule_dim_index dim[RULE_DIM_COUNT];
	uint32_t *wild; /* rules filed nowhere: candidates for every packet */
	uint32_t nb_wild;
	uint8_t used;	/* dimensions with rules (1 << RULE_DIM_*) */
	uint8_t built;
	size_t mem;	/* bytes allocated (README figures) */
};

struct rule_chain {
	char name[RULE_CHAIN_NAME_MAX];
	uint8_t family;
	uint8_t table;	 /* enum rule_table */
	uint8_t builtin; /* hook chain */
	uint8_t policy;	 /* RT_ACCEPT / RT_DROP for built-ins */
	uint8_t declared;
	uint32_t first; /* rules [first, first + nb) */
	uint32_t nb;
	uint64_t base_pkts;
	uint64_t base_bytes;
	struct rule_index idx;
	/* Parse time only. */
	uint32_t *tmp;
	uint32_t tmp_nb;
	uint32_t tmp_cap;
};

struct ctg_rule_set {
	struct rule *rules;
	uint32_t nb_rules;
	uint32_t cap_rules;
	struct rule_match *matches;
	uint32_t nb_matches;
	uint32_t cap_matches;
	struct rule_chain *chains;
	uint32_t nb_chains;
	uint32_t cap_chains;
	uint32_t nb_limits;
	/* hook chain per family (0: IPv4, 1: IPv6) and hook; UINT32_MAX when absent. */
	uint32_t hook_chain[2][CTG_RULE_HOOK_COUNT];
	uint8_t filters[2];	   /* family filtered */
	uint8_t has_table[2][RULE_TABLE_COUNT];
	char *file[2];		   /* file names (owned) */
};

struct rule_cnt {
	uint64_t packets;
	uint64_t bytes;
};

struct rule_limit_state {
	uint64_t prev; /* jiffies of the last update; 0: not initialised */
	uint32_t credit;
	uint32_t init;
};

struct ctg_rule_counters {
	const struct ctg_rule_set *rs;
	uint32_t nb_rules;
	uint32_t nb_chains;
	uint32_t nb_limits;
	struct rule_cnt *rule;		/* [nb_rules] */
	struct rule_cnt *policy;	/* [nb_chains] */
	struct rule_limit_state *limit; /* [nb_limits] */
};

/* rule_parse.c */
int rule_parse_text(struct ctg_rule_set *rs, const char *text, const char *name, int family,
		bool mirror, const struct ctg_rule_load_opts *opts, bool *has_addr, char *err,
		size_t errlen);

/* rule_compile.c */
int rule_compile(struct ctg_rule_set *rs, const struct ctg_rule_load_opts *opts, char *err,
		size_t errlen);
void rule_set_destroy(struct ctg_rule_set *rs);

/* rule_classify.c */
int rule_cls_build(const struct ctg_rule_set *rs, struct rule_chain *ch);
void rule_cls_free(struct rule_index *ix);
void rule_key_addr(struct rule_key *k, const uint8_t *a, int family);

/* rule_eval.c */
bool rule_match_ip(const struct rule *r, const struct ctg_rule_pkt *rp);

/* Limit constants (xt_limit), in rule_eval.c terms. */
#define RULE_LIMIT_SCALE 10000u
#define RULE_LIMIT_HZ	 1000u
uint32_t rule_limit_user2credits(uint32_t user);

#endif /* CTG_RULE_PRIVATE_H_ */
