# Sluice batch wrapper: the only process between the agent and a job's batch script (slurmstepd's role, kept tiny).
# Usage: perl batch-wrapper.pl JOB_DIR COMMAND [ARGS...]
# It records what the agent needs to survive its own restart, in JOB_DIR:
#   wrapper.pid  "<pid> <start ticks>" of this wrapper, so a restarted agent can tell it from a reused pid
#   script.pid   the script's pid, which is also its process group (the agent signals the group)
#   status       "exit=N signal=N cpu_user_ms=N cpu_system_ms=N" once the script ended
# It ignores the job's signals itself so it outlives the script and can always write the status, and it is a
# child subreaper, so processes that escape the script (double fork, setsid) stay below it where the agent can
# find and kill them; it reaps them and exits when the last one is gone.
use strict;
use warnings;
use POSIX ();

my $dir = shift @ARGV;
POSIX::setsid();
# prctl(PR_SET_CHILD_SUBREAPER, 1) where the syscall number is known; best effort elsewhere
my %prctl = (x86_64 => 157, aarch64 => 167);
my ($arch) = (POSIX::uname())[4];
syscall($prctl{$arch}, 36, 1, 0, 0, 0) if exists $prctl{$arch};

sub write_atomically {
    my ($name, $text) = @_;
    open(my $fh, '>', "$dir/$name.tmp") or die "cannot write $dir/$name.tmp: $!";
    print $fh $text;
    close($fh) or die "cannot write $dir/$name.tmp: $!";
    rename("$dir/$name.tmp", "$dir/$name") or die "cannot rename $dir/$name.tmp: $!";
}

sub start_ticks {
    open(my $fh, '<', "/proc/$_[0]/stat") or return 0;
    my $stat = <$fh>;
    close($fh);
    my @f = split(' ', substr($stat, rindex($stat, ')') + 2));
    return $f[19];
}

write_atomically('wrapper.pid', "$$ " . start_ticks($$) . "\n");

my @job_signals = qw(TERM INT HUP QUIT USR1 USR2 CONT);
$SIG{$_} = 'IGNORE' for grep { $_ ne 'CONT' } @job_signals;

my $pid = fork();
die "fork failed: $!" unless defined $pid;
if ($pid == 0) {
    # ignored signals survive exec: give the script the default dispositions back
    $SIG{$_} = 'DEFAULT' for @job_signals;
    setpgrp(0, 0);
    { no warnings 'exec'; exec { $ARGV[0] } @ARGV; }
    print STDERR "slurmstepd: error: execve(): $ARGV[0]: $!\n";
    POSIX::_exit(127);
}
# both sides set the group, so the agent can signal it as soon as script.pid exists
setpgrp($pid, $pid);
write_atomically('script.pid', "$pid\n");

my $waited;
do { $waited = waitpid($pid, 0) } while ($waited == -1 && $!{EINTR});
my $status = $?;
my (undef, undef, $cuser, $csys) = times();
write_atomically('status', sprintf("exit=%d signal=%d cpu_user_ms=%d cpu_system_ms=%d\n",
    ($status >> 8) & 255, $status & 127, $cuser * 1000, $csys * 1000));

# reap whatever escaped the script until the agent has killed it all
while (wait() != -1) { }
exit 0;
