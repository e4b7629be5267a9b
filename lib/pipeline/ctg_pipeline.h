/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_PIPELINE_H_
#define CTG_PIPELINE_H_
#endif
