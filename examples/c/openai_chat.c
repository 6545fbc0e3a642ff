/* See openai_chat.h. A real program would use a JSON library; this one reads the single field it
 * needs, so that the example depends on libcurl and aiobs only. */
#define _POSIX_C_SOURCE 200809L
#include "openai_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiobs_curl.h"

typedef struct text {
  char *data;
  size_t len;
} text;

static size_t collect(char *data, size_t size, size_t count, void *user) {
  text *t = (text *)user;
  size_t n = size * count;
  char *grown = (char *)realloc(t->data, t->len + n + 1);
  if (!grown) return 0; /* aborts the transfer */
  memcpy(grown + t->len, data, n);
  t->data = grown;
  t->len += n;
  t->data[t->len] = '\0';
  return n;
}

/* Appends `s` as a JSON string. */
static void add_json_string(text *t, const char *s) {
  collect("\"", 1, 1, t);
  for (; *s; s++) {
    char escaped[8];
    if (*s == '"' || *s == '\\') {
      snprintf(escaped, sizeof escaped, "\\%c", *s);
    } else if ((unsigned char)*s < 0x20) {
      snprintf(escaped, sizeof escaped, "\\u%04x", (unsigned)(unsigned char)*s);
    } else {
      escaped[0] = *s;
      escaped[1] = '\0';
    }
    collect(escaped, 1, strlen(escaped), t);
  }
  collect("\"", 1, 1, t);
}

static void add(text *t, const char *s) { collect((char *)s, 1, strlen(s), t); }

/* The first message's "content" string of a chat completion, unescaped (\uXXXX kept as is). */
static char *reply_text(const char *json) {
  const char *at = strstr(json, "\"message\"");
  at = at ? strstr(at, "\"content\"") : NULL;
  at = at ? strchr(at + 9, ':') : NULL;
  while (at && (*at == ':' || *at == ' ' || *at == '\n')) at++;
  if (!at || *at != '"') return NULL;
  char *out = (char *)malloc(strlen(at) + 1), *o = out;
  if (!out) return NULL;
  for (at++; *at && *at != '"'; at++) {
    if (*at == '\\' && at[1]) {
      at++;
      *o++ = *at == 'n' ? '\n' : *at == 't' ? '\t' : *at == 'u' ? '?' : *at;
      if (*at == 'u') at += strlen(at) >= 5 ? 4 : 0;
    } else {
      *o++ = *at;
    }
  }
  *o = '\0';
  return out;
}

int openai_chat_at(const char *model, const char *system, const char *prompt, char **reply,
                   const char *file, int line, const char *function) {
  const char *key = getenv("OPENAI_API_KEY");
  const char *base = getenv("OPENAI_BASE_URL");
  *reply = NULL;
  if (!key || !*key) {
    fprintf(stderr, "openai_chat: set OPENAI_API_KEY (any value for the local stub)\n");
    return -1;
  }
  char url[1024], auth[1024];
  snprintf(url, sizeof url, "%s/chat/completions", base && *base ? base : "https://api.openai.com/v1");
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);

  text body = {0};
  add(&body, "{\"model\":");
  add_json_string(&body, model);
  add(&body, ",\"messages\":[");
  if (system) {
    add(&body, "{\"role\":\"system\",\"content\":");
    add_json_string(&body, system);
    add(&body, "},");
  }
  add(&body, "{\"role\":\"user\",\"content\":");
  add_json_string(&body, prompt);
  add(&body, "}],\"temperature\":0.2}");

  CURL *easy = curl_easy_init();
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
  headers = curl_slist_append(headers, auth);
  curl_easy_setopt(easy, CURLOPT_URL, url);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, 120L);

  text answer = {0};
  aiobs_curl_request request = {0};
  request.body = body.data;
  request.body_len = body.len;
  request.write = collect;
  request.write_data = &answer;
  aiobs_curl_record record = {0};
  CURLcode code = aiobs_curl_perform_at(easy, &request, &record, file, line, function);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  if (record.status != AIOBS_OK) fprintf(stderr, "aiobs: %s\n", record.error ? record.error : "not recorded");
  aiobs_string_free(record.error);
  curl_slist_free_all(headers);
  curl_easy_cleanup(easy);
  free(body.data);

  int result = -1;
  if (code != CURLE_OK) {
    fprintf(stderr, "openai_chat: %s: %s\n", url, curl_easy_strerror(code));
  } else if (status != 200) {
    fprintf(stderr, "openai_chat: %s: HTTP %ld: %s\n", url, status, answer.data ? answer.data : "");
  } else if (!(*reply = reply_text(answer.data ? answer.data : ""))) {
    fprintf(stderr, "openai_chat: no message content in the answer\n");
  } else {
    result = 0;
  }
  free(answer.data);
  return result;
}
