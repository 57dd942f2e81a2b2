// tcp_seq.h: sequence numbers compare modulo 2^32 (RFC 9293 3.4.1):
// a is "less than" b when b lies less than 2^31 ahead of it.
#ifndef LIBNET_TCP_SEQ_H
#define LIBNET_TCP_SEQ_H
#include <stdint.h>

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))
#endif
