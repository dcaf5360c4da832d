/* echo: answers with a JSON object of the request as the module sees it: its arguments, every
 * environment variable (the CGI variables and the request headers among them) and its body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static void json_string(const char *text, size_t length) {
    putchar('"');
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') printf("\\n");
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    static char body[1 << 16];
    size_t length = fread(body, 1, sizeof body, stdin);
    printf("Content-Type: application/json\n\n{\"args\": [");
    for (int i = 0; i < argc; i++) {
        if (i) printf(", ");
        json_string(argv[i], strlen(argv[i]));
    }
    printf("], \"env\": {");
    for (char **var = environ; *var; var++) {
        const char *equals = strchr(*var, '=');
        if (!equals) continue;
        if (var != environ) printf(", ");
        json_string(*var, (size_t)(equals - *var));
        printf(": ");
        json_string(equals + 1, strlen(equals + 1));
    }
    printf("}, \"body\": ");
    json_string(body, length);
    printf("}\n");
    return 0;
}
