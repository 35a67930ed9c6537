/* host.c - the public calls about the process and the host, not one VM. */
#include "kvmini.h"

#include "base/log.h"
#include "vmm/kvm.h"

void kvmini_set_log_level(enum kvmini_log_level lvl)
{
	switch (lvl) {
	case KVMINI_LOG_ERR: log_set_level(LOG_ERR); break;
	case KVMINI_LOG_WARN: log_set_level(LOG_WARN); break;
	case KVMINI_LOG_INFO: log_set_level(LOG_INFO); break;
	default: log_set_level(LOG_DEBUG); break;
	}
}

const char *kvmini_host_tdp(void)
{
	return kvm_tdp_status();
}
