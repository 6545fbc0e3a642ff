/* A minimal OpenAI chat-completions client over libcurl, recorded by aiobs_curl. It reads
 * OPENAI_API_KEY (required) and OPENAI_BASE_URL (default https://api.openai.com/v1), so the
 * examples run against the real API or the local provider stub alike. */
#ifndef OPENAI_CHAT_H
#define OPENAI_CHAT_H

#include "aiobs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sends `prompt` (after `system`, which may be NULL) to `model`; on success returns 0 and sets
 * `*reply` to the answer's text (malloc'ed: free it). On failure returns -1 and prints why.
 * The exchange is recorded with the caller's file, line and function (use openai_chat). */
int openai_chat_at(const char *model, const char *system, const char *prompt, char **reply,
                   const char *file, int line, const char *function);

#define openai_chat(model, system, prompt, reply) openai_chat_at((model), (system), (prompt), (reply), AIOBS_CALLSITE)

#ifdef __cplusplus
}
#endif

#endif
