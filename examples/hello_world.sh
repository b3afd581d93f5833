#!/bin/bash
#SBATCH --job-name=hello_world      # job name
#SBATCH --output=hello_world.out    # standard output file
#SBATCH --error=hello_world.err     # standard error file
#SBATCH --time=00:05:00             # time limit (HH:MM:SS)
#SBATCH --partition=cpu             # partition
#SBATCH --ntasks=1                  # number of tasks
#SBATCH --cpus-per-task=1           # CPU cores per task
#SBATCH --mem=1G                    # memory per node

# the command to run
echo "Running in cpu partition"
