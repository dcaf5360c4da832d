/* form: GET shows an HTML form; POST reads the url-encoded body from stdin and shows what was
 * sent, then sets a cookie. Anything else is answered 405. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode one url-encoded value in place ("a+b%21" -> "a b!"). */
static void url_decode(char *text) {
    char *out = text;
    for (char *in = text; *in; in++) {
        if (*in == '+') {
            *out++ = ' ';
        } else if (*in == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2])) {
            char hex[3] = {in[1], in[2], 0};
            *out++ = (char)strtol(hex, NULL, 16);
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
}

/* Print text with the characters HTML gives meaning to escaped. */
static void html(const char *text) {
    for (; *text; text++) {
        switch (*text) {
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '&': fputs("&amp;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        default: putchar(*text);
        }
    }
}

int main(void) {
    const char *method = getenv("REQUEST_METHOD");
    if (method && strcmp(method, "GET") == 0) {
        printf("Content-Type: text/html\n\n"
               "<form method=\"post\"><input name=\"name\"><input name=\"message\">"
               "<button>Send</button></form>\n");
        return 0;
    }
    if (!method || strcmp(method, "POST") != 0) {
        printf("Status: 405 Method Not Allowed\nAllow: GET, POST\nContent-Type: text/plain\n\n"
               "only GET and POST\n");
        return 0;
    }
    static char body[1 << 16];
    size_t length = fread(body, 1, sizeof body - 1, stdin);
    body[length] = '\0';
    printf("Content-Type: text/html\n");
    printf("Set-Cookie: posted=1; Path=/\n");
    printf("Set-Cookie: bytes=%zu; Path=/\n\n", length);
    printf("<p>You sent %zu bytes.</p>\n<ul>\n", length);
    for (char *field = strtok(body, "&"); field; field = strtok(NULL, "&")) {
        char *equals = strchr(field, '=');
        char *value = equals ? equals + 1 : "";
        if (equals) *equals = '\0';
        url_decode(field);
        url_decode(value);
        printf("<li>");
        html(field);
        printf(" = ");
        html(value);
        printf("</li>\n");
    }
    printf("</ul>\n");
    return 0;
}
