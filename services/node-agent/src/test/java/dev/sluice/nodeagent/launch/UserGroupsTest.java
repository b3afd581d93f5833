package dev.sluice.nodeagent.launch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class UserGroupsTest {
    @Test
    void supplementaryGroupsComeFromTheUserDatabaseWhenItsUidMatches() {
        UserGroups groups = new UserGroups();
        // root is in group 0 only on Debian; nobody's uid is 65534
        assertThat(groups.of("root", 0, 0)).startsWith(0);
        assertThat(groups.of("nobody", 65534, 65534)).containsExactly(65534);
        // a name whose database uid differs lends no groups
        assertThat(groups.of("root", 4242, 4242)).containsExactly(4242);
        assertThat(groups.of("no-such-user-xyz", 5000, 5001)).containsExactly(5001);
    }

    @Test
    void idOutputIsParsed() {
        var e = UserGroups.parse("uid=1000(alice) gid=1000(alice) groups=1000(alice),27(sudo),1005(hpc lab)");
        assertThat(e.uid()).isEqualTo(1000);
        assertThat(e.groups()).containsExactly(1000, 27, 1005);
    }
}
