/* Fixed-width integers to and from wire bytes, whatever the host's byte order:
 * never cast a struct onto a buffer (s390x is big-endian). */
#ifndef CIH_BYTES_H
#define CIH_BYTES_H

#include <stdint.h>

static inline uint16_t rd_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t rd_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rd_le64(const unsigned char *p)
{
	return (uint64_t)rd_le32(p) | (uint64_t)rd_le32(p + 4) << 32;
}

static inline uint32_t rd_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t rd_be64(const unsigned char *p)
{
	return (uint64_t)rd_be32(p) << 32 | (uint64_t)rd_be32(p + 4);
}

static inline void wr_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void wr_le32(unsigned char *p, uint32_t v)
{
	wr_le16(p, (uint16_t)v);
	wr_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void wr_le64(unsigned char *p, uint64_t v)
{
	wr_le32(p, (uint32_t)v);
	wr_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void wr_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline void wr_be64(unsigned char *p, uint64_t v)
{
	wr_be32(p, (uint32_t)(v >> 32));
	wr_be32(p + 4, (uint32_t)v);
}

#endif
