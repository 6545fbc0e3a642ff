/*
 * aiobs_curl: records the OpenAI and Gemini calls a C or C++ program makes with libcurl.
 *
 * aiobs_curl_perform runs curl_easy_perform on the caller's handle while teeing the request
 * body, the response body (streamed or not) and the response headers; then it hands the
 * exchange to aiobs_record_http, which recognises LLM endpoints and parses them at flush.
 * Data reaches the caller's own callbacks unchanged, as curl delivers it. Request headers are
 * never looked at, so no API key is recorded.
 *
 *   aiobs_curl_request request = {0};
 *   request.body = json; request.body_len = strlen(json);
 *   request.write = on_data; request.write_data = &reply;
 *   aiobs_curl_record record = {0};
 *   CURLcode code = aiobs_curl_perform(easy, &request, &record);
 *   aiobs_string_free(record.error);
 *
 * Link: libaiobs_curl.a, libaiobs and libcurl (pkg-config libcurl). Only programs that use this
 * link it: the core never depends on libcurl.
 *
 * Thread safety: as curl's: a handle is used by one thread at a time; different handles may
 * perform concurrently on different threads. Recording is safe from any thread.
 */
#ifndef AIOBS_CURL_H
#define AIOBS_CURL_H

#include <stddef.h>

#include <curl/curl.h>

#include "aiobs.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * What curl cannot tell back about a request: its body and the caller's callbacks. Every member
 * may be zero/NULL. Borrowed for the duration of the call.
 */
typedef struct aiobs_curl_request {
  /** The request body, set on the handle as CURLOPT_POSTFIELDS (not copied: it must live until
   * the call returns). NULL: no body, or one sent through `read`. */
  const char *body;
  size_t body_len;
  /** The caller's read callback for a streamed request body, and its userdata. NULL with
   * `read_data` set: curl's default (fread from the FILE * `read_data`). Both NULL: not set. */
  curl_read_callback read;
  void *read_data;
  /** The caller's write callback and its userdata. NULL: curl's default, fwrite to the FILE *
   * `write_data` (stdout when that is NULL too). */
  curl_write_callback write;
  void *write_data;
  /** The caller's header callback and its userdata. NULL: headers go nowhere but the record. */
  curl_write_callback header;
  void *header_data;
} aiobs_curl_request;

/** What recording the exchange gave: `status` is what aiobs_record_http returned
 * (AIOBS_ERR_NOT_LLM_ENDPOINT for a URL that is no LLM call, AIOBS_ERR_NO_SESSION without an
 * active session) and `error` its message or NULL, owned by the caller: free it with
 * aiobs_string_free. */
typedef struct aiobs_curl_record {
  aiobs_status status;
  char *error;
} aiobs_curl_record;

/**
 * Performs the request on `easy` (its URL, method and headers set by the caller as usual) and
 * records it. Returns what curl_easy_perform returned. A write callback that takes fewer bytes
 * than offered aborts the transfer as in curl (CURLE_WRITE_ERROR); the record keeps the bytes
 * it took and says the caller aborted. After the call the handle's write, header and read
 * callbacks are the caller's again. `record` may be NULL; `file`, `line`, `function` name the
 * caller (use the aiobs_curl_perform macro) and may be NULL/0.
 *
 * Bodies are kept up to 16 MiB each (the core's default max_input_bytes); curl gets everything.
 */
CURLcode aiobs_curl_perform_at(CURL *easy, const aiobs_curl_request *request, aiobs_curl_record *record,
                               const char *file, int line, const char *function);

/** aiobs_curl_perform_at with the caller's file, line and function as the callsite. */
#define aiobs_curl_perform(easy, request, record) aiobs_curl_perform_at((easy), (request), (record), AIOBS_CALLSITE)

#ifdef __cplusplus
}
#endif

#endif /* AIOBS_CURL_H */
