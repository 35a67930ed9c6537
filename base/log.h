/*
 * log.h - the project's logging: one line per message on stderr, prefixed
 * with "kvmini: " and the level. Library code logs and returns errors; only
 * main() decides to exit.
 */
#ifndef KVMINI_LOG_H
#define KVMINI_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* log_set_level - messages above this level are dropped (default LOG_WARN). */
void log_set_level(enum log_level lvl);

/* log_msg - print one message at lvl; errnum != 0 appends strerror(errnum). */
void log_msg(enum log_level lvl, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(...)   log_msg(LOG_ERR, 0, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, 0, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, 0, __VA_ARGS__)
/* log_errno - an error message with ": strerror(e)" appended. */
#define log_errno(e, ...) log_msg(LOG_ERR, (e), __VA_ARGS__)

#endif
