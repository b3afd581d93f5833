/* Prints the PMIx ABI facts the Java binding relies on, read from the installed headers, as key=value lines.
 * The build writes them into the jar; PmixAbi compares them with its own constants at start. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <pmix_server.h>

#define P(name, value) printf("%s=%ld\n", name, (long) (value))

int main(void) {
    P("sizeof.pmix_proc_t", sizeof(pmix_proc_t));
    P("offsetof.pmix_proc_t.rank", offsetof(pmix_proc_t, rank));
    P("sizeof.pmix_info_t", sizeof(pmix_info_t));
    P("sizeof.pmix_data_array_t", sizeof(pmix_data_array_t));
    P("offsetof.pmix_data_array_t.size", offsetof(pmix_data_array_t, size));
    P("offsetof.pmix_data_array_t.array", offsetof(pmix_data_array_t, array));
    P("sizeof.pmix_server_module_t", sizeof(pmix_server_module_t));
    P("offsetof.module.client_connected", offsetof(pmix_server_module_t, client_connected));
    P("offsetof.module.client_finalized", offsetof(pmix_server_module_t, client_finalized));
    P("offsetof.module.abort", offsetof(pmix_server_module_t, abort));
    P("offsetof.module.fence_nb", offsetof(pmix_server_module_t, fence_nb));
    P("offsetof.module.direct_modex", offsetof(pmix_server_module_t, direct_modex));
    P("sizeof.pmix_status_t", sizeof(pmix_status_t));
    P("sizeof.pmix_rank_t", sizeof(pmix_rank_t));
    P("sizeof.pmix_data_type_t", sizeof(pmix_data_type_t));
    P("sizeof.uid_t", sizeof(uid_t));
    P("type.BOOL", PMIX_BOOL);
    P("type.STRING", PMIX_STRING);
    P("type.UINT16", PMIX_UINT16);
    P("type.UINT32", PMIX_UINT32);
    P("type.PROC_RANK", PMIX_PROC_RANK);
    P("status.SUCCESS", PMIX_SUCCESS);
    P("status.ERROR", PMIX_ERROR);
    P("status.ERR_NOT_FOUND", PMIX_ERR_NOT_FOUND);
    P("status.ERR_UNREACH", PMIX_ERR_UNREACH);
    P("status.OPERATION_SUCCEEDED", PMIX_OPERATION_SUCCEEDED);
    P("rank.WILDCARD", PMIX_RANK_WILDCARD);
    P("nslen", PMIX_MAX_NSLEN);
    return 0;
}
