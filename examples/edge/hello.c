/* hello: greets by name, from the query string (?name=Ada) or a route parameter (/hello/:name).
 * A WAGI handler is an ordinary WASI program: the request arrives as CGI environment variables,
 * the response is headers, a blank line and the body, printed on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value of `key` in a query string such as "name=Ada&lang=en", copied into out. */
static int query_value(const char *query, const char *key, char *out, size_t size) {
    size_t key_len = strlen(key);
    while (query && *query) {
        const char *end = strchr(query, '&');
        size_t len = end ? (size_t)(end - query) : strlen(query);
        if (len > key_len && strncmp(query, key, key_len) == 0 && query[key_len] == '=') {
            size_t n = len - key_len - 1;
            if (n >= size) n = size - 1;
            memcpy(out, query + key_len + 1, n);
            out[n] = '\0';
            return 1;
        }
        query = end ? end + 1 : NULL;
    }
    return 0;
}

int main(void) {
    char name[64] = "world";
    const char *param = getenv("X_PARAM_NAME");
    if (param && *param) {
        snprintf(name, sizeof name, "%s", param);
    } else {
        query_value(getenv("QUERY_STRING"), "name", name, sizeof name);
    }
    const char *agent = getenv("HTTP_USER_AGENT");
    printf("Content-Type: text/plain; charset=utf-8\n");
    printf("X-Greeting: hello\n");
    printf("\n");
    printf("Hello, %s!\n", name);
    printf("You asked for %s with %s.\n", getenv("PATH_INFO") ? getenv("PATH_INFO") : "",
           agent ? agent : "no User-Agent");
    return 0;
}
