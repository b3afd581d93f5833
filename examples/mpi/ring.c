/*
 * ring.c: the seeds' MPI check. Every rank says where it runs, passes a token once around the ring, and takes
 * part in an MPI_Allreduce; rank 0 prints the results. Built with mpicc.openmpi (run with srun --mpi=pmix) or
 * mpicc.mpich (srun --mpi=pmi2).
 *
 *   ./ring            the ring and the allreduce
 *   ./ring abort R    rank R calls MPI_Abort(MPI_COMM_WORLD, 7) after MPI_Init (the others wait in a barrier)
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    char host[256] = "";
    const char *node = getenv("SLURMD_NODENAME");
    if (node == NULL) {
        gethostname(host, sizeof host);
        node = host;
    }
    printf("rank %d of %d on %s\n", rank, size, node);
    fflush(stdout);

    if (argc > 2 && strcmp(argv[1], "abort") == 0) {
        if (rank == atoi(argv[2])) {
            fprintf(stderr, "rank %d: calling MPI_Abort\n", rank);
            fflush(stderr);
            MPI_Abort(MPI_COMM_WORLD, 7);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        /* Not reached when the abort works: the launcher kills every rank. */
        sleep(600);
        MPI_Finalize();
        return 0;
    }

    /* The ring: rank 0 starts a token that every rank increments; it must come back as size. */
    int token = 0;
    if (size > 1) {
        int next = (rank + 1) % size, prev = (rank + size - 1) % size;
        if (rank == 0) {
            token = 1;
            MPI_Send(&token, 1, MPI_INT, next, 0, MPI_COMM_WORLD);
            MPI_Recv(&token, 1, MPI_INT, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(&token, 1, MPI_INT, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            token++;
            MPI_Send(&token, 1, MPI_INT, next, 0, MPI_COMM_WORLD);
        }
    } else {
        token = 1;
    }

    /* The allreduce: the sum of all ranks must be size*(size-1)/2 on every rank. */
    int sum = 0;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    int ok = sum == size * (size - 1) / 2;
    int all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("ring: token %d after %d ranks: %s\n", token, size, token == size ? "ok" : "WRONG");
        printf("allreduce: sum of ranks %d (expected %d) on every rank: %s\n", sum, size * (size - 1) / 2,
               all_ok ? "ok" : "WRONG");
        fflush(stdout);
    }
    MPI_Finalize();
    return (token == size || rank != 0) && all_ok ? 0 : 1;
}
