/* Test program for the PMIx helper: ring exchange and Allreduce; with argument "abort", rank 1 calls MPI_Abort(7)
 * while the others wait in a barrier that can only end when the launcher kills them. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, size, len;
    char host[MPI_MAX_PROCESSOR_NAME];
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_processor_name(host, &len);
    const char *node = getenv("SLURMD_NODENAME");
    if (argc > 1 && strcmp(argv[1], "abort") == 0) {
        if (rank == 1) {
            MPI_Abort(MPI_COMM_WORLD, 7);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        sleep(600);
    }
    int next = (rank + 1) % size, prev = (rank + size - 1) % size, got = -1;
    MPI_Sendrecv(&rank, 1, MPI_INT, next, 0, &got, 1, MPI_INT, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    int sum = 0;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d of %d on %s node %s: ring got %d from %d, allreduce sum %d\n", rank, size, host,
           node ? node : "-", got, prev, sum);
    fflush(stdout);
    MPI_Finalize();
    return 0;
}
