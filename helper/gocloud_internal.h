#ifndef CIH_GOCLOUD_INTERNAL_H
#define CIH_GOCLOUD_INTERNAL_H

#include "gocloud.h"

/* A signed request to the object, with query appended (NULL: none). */
int gocloud__send(struct gocloud *g, struct httpc *c, const char *method, const char *query,
		  const struct cache_meta *extra, const struct httpc_body *body, int64_t timeout_ms,
		  struct httpc_response **r);
/* Content type, metadata, blob type and encryption headers of a write; for the Azure
 * block list, the content type is x-ms-blob-content-type and there is no blob type. */
int gocloud__put_headers(struct gocloud *g, const struct cache_meta *meta, const char *content_type,
			 bool for_azure_list, struct cache_meta *extra);

#endif
