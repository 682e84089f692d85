/*
 * differential-cases: batches written by hand, each a case the random runs
 * found or cannot reach: a table created and dropped again, jump loops,
 * refusals learned one after the other, a rule only the kernel judges.
 */
#include "differential.h"

/*
 * A program whose first command fails where the simulation cannot know it
 * (an ipset that does not exist): exec runs nothing after it, so it
 * creates no table, while the restores of the other tables, which did not
 * exist, may have committed before the refusal. Put back, they are empty
 * tables still, and must go (vfBackendOptions.drop_table). Written as a
 * difference (put back) and as the log (replay: a round reverted).
 */
void
testCreatedTable(void)
{
    /* exec creates no table */
    static const char first[] =
        "program vm0\n"
        "transaction\n"
        "ipv4 -t filter -A FORWARD -m set --match-set vf-no-such-set src -j ACCEPT\n"
        "ethernet -t nat -N vf-new\n"
        "ipv6 -t mangle -N vf-new\n"
        "ipv4 -t nat -N vf-new\n";
    /* exec creates ebtables nat, and its rollback leaves it empty */
    static const char rolledBack[] =
        "program vm0\n"
        "transaction\n"
        "ethernet -t nat -N vf-new\n"
        "ipv6 -t mangle -N vf-new\n"
        "ipv4 -t filter -A FORWARD -m set --match-set vf-no-such-set src -j ACCEPT\n"
        "rollback\n"
        "ethernet -t nat -X vf-new\n"
        "ipv6 -t mangle -X vf-new\n";
    const char *const batches[] = { first, rolledBack };

    if (!vfNftToolsAreNft()) {
        g_test_skip("tables are deleted only with the nft variants of the tools");
        return;
    }
    for (gsize b = 0; b < G_N_ELEMENTS(batches); b++) {
        g_autofree char *state = sameAsExec("", batches[b], "vm0:failed ");

        if (batches[b] == first)
            g_assert_cmpstr(state, ==, "");
    }
}

/*
 * Jumps that close a loop: the kernel refuses a loop a builtin chain
 * reaches ("Too many links") and takes one nothing reaches. The programs
 * go on to list and clean up what the loop would have reached, so a
 * simulation that took the jump would end elsewhere even though the loop
 * itself never reaches a restore (the kept-tables run found it, step 327).
 */
void
testLoops(void)
{
    static const char setup[] =
        "program setup\n"
        "transaction\n"
        "ipv4 -t filter -N a\n"
        "ipv4 -t filter -N b\n"
        "ipv4 -t filter -N d\n"
        "ipv4 -t filter -A FORWARD -j a\n"
        "ipv4 -t filter -A a -j b\n"
        "ipv4 -t filter -A b -j d\n"
        "ipv4 -t filter -A d -p udp -j ACCEPT\n";
    static const char batch[] =
        "program vm0\n"
        "transaction\n"
        "ipv4 ignore -t filter -A d -j a\n"
        "ipv4 ignore query=cleanup -t filter -S d\n"
        "program vm1\n"
        "transaction\n"
        "ipv4 -t filter -N c\n"
        "ipv4 -t filter -A c -j c\n"
        "ipv4 ignore -t filter -I FORWARD -j c\n"
        "ipv4 ignore query=cleanup -t filter -S FORWARD\n"
        "program vm2\n"
        "transaction\n"
        "ethernet -t nat -N x\n"
        "ethernet -t nat -N y\n"
        "ethernet -t nat -A x -j y\n"
        "ethernet -t nat -A y -j x\n"
        "ethernet ignore -t nat -A PREROUTING -j x\n"
        "ethernet -t nat -A PREROUTING -j ACCEPT\n";

    g_autofree char *state = sameAsExec(setup, batch, NULL);

    /* the loop nothing reached was taken, the reached ones were not */
    g_assert_nonnull(strstr(state, "-A c -j c\n"));
    g_assert_null(strstr(state, "-A d -j a\n"));
    g_assert_null(strstr(state, "-A PREROUTING -j x\n"));
}

/*
 * Two refusals the simulation cannot foresee, learned one after the other:
 * the second makes the first transaction fail, so its rollback runs where
 * the later transaction's refused rule ran before. A fact keyed by that
 * place alone failed the rollback's jump (the kept-tables run, sequence
 * VF_DIFF_FIRST=20001, step 789).
 */
void
testFacts(void)
{
    static const char setup[] =
        "program setup\n"
        "transaction\n"
        "ethernet -t nat -N tmp-x\n"
        "ipv6 -t filter -N fin-x\n";
    static const char batch[] =
        "program vm0\n"
        "transaction\n"
        "ipv6 -t filter -A fin-x -j ACCEPT\n"
        "ipv4 -t filter -A FORWARD -m set --match-set vf-no-such-set src -j ACCEPT\n"
        "rollback\n"
        "ethernet -t nat -A PREROUTING -j tmp-x\n"
        "ipv6 -t filter -F fin-x\n"
        "transaction ignore-errors\n"
        "ipv6 -t filter -A INPUT -m set --match-set vf-no-such-set src -j ACCEPT\n";

    g_autofree char *state = sameAsExec(setup, batch, "vm0:failed ");

    g_assert_nonnull(strstr(state, "-A PREROUTING -j tmp-x\n"));   /* the rollback ran */
}

/*
 * A rule only the kernel can judge (an ipset that does not exist) that a
 * later program removes again: written as a difference it would meet no
 * tool, and the program exec fails would go on (random seed 10531).
 */
void
testJudged(void)
{
    static const char batch[] =
        "program vm0\n"
        "transaction\n"
        "ipv4 -t filter -A FORWARD -m set --match-set vf-no-such-set src -j ACCEPT\n"
        "ethernet -t nat -N vf-after-set\n"
        "program vm1\n"
        "transaction\n"
        "ipv4 -t filter -F FORWARD\n"
        "ipv4 -t filter -A FORWARD -j ACCEPT\n";

    g_autofree char *state = sameAsExec("", batch, "vm0:failed vm1:ok ");

    g_assert_null(strstr(state, "vf-after-set"));
}
