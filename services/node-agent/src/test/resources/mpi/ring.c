/* Test program for the Sluice PMI server: every line it prints is checked by MpichPmiIT-style tests.
 * Usage: ring            -> init, ring, allreduce, finalize
 *        ring abort      -> rank 1 calls MPI_Abort(MPI_COMM_WORLD, 7) after init; the others wait in a barrier */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, size, len;
    char host[MPI_MAX_PROCESSOR_NAME];
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_processor_name(host, &len);
    printf("rank %d size %d host %s\n", rank, size, host);
    fflush(stdout);

    if (argc > 1 && strcmp(argv[1], "abort") == 0) {
        if (rank == 1) {
            MPI_Abort(MPI_COMM_WORLD, 7);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Finalize();
        return 0;
    }

    /* Token ring: rank 0 starts with 1000, every other rank adds its rank number before passing it on. */
    if (size > 1) {
        int token;
        int right = (rank + 1) % size, left = (rank + size - 1) % size;
        if (rank == 0) {
            token = 1000;
            MPI_Send(&token, 1, MPI_INT, right, 42, MPI_COMM_WORLD);
            MPI_Recv(&token, 1, MPI_INT, left, 42, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(&token, 1, MPI_INT, left, 42, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            printf("rank %d token %d\n", rank, token);
            token += rank;
            MPI_Send(&token, 1, MPI_INT, right, 42, MPI_COMM_WORLD);
        }
        if (rank == 0) {
            printf("rank %d token %d\n", rank, token);
        }
    }

    int sum = 0;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d allreduce %d\n", rank, sum);
    fflush(stdout);
    MPI_Finalize();
    printf("rank %d finalized\n", rank);
    return 0;
}
