/* Where S3 credentials come from: the environment, the shared credentials file, the
 * container credentials endpoint, the EC2 instance role (IMDSv2). */
#ifndef CIH_AWS_CREDS_H
#define CIH_AWS_CREDS_H

struct aws_creds {
	char *access_key, *secret_key, *token; /* token may be NULL */
};

/* The first source that has them; the secret and token are registered for masking.
 * CIH_EAUTH when none does. */
int aws_creds_load(struct aws_creds *c);
void aws_creds_dispose(struct aws_creds *c);

#endif
