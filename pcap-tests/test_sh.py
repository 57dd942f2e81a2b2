"""The shell's exit statuses: `$?`, `sh -c`, and how a child's exit()
value, a kill and a failed exec reach the status.

One guest serves the whole module (each test only runs commands at the
prompt and leaves nothing behind but a file of its own); its console is
build/test-logs/test_sh.log.
"""
import os
import tempfile

import pytest

from qemu import LOGDIR, Guest, copy_image


@pytest.fixture(scope="module")
def sh():
    d = tempfile.mkdtemp(prefix="test_sh")
    g = Guest(copy_image(d), log=os.path.join(LOGDIR, "test_sh.log"))
    try:
        g.boot()
        yield g
    finally:
        g.close()


def lines(g, cmd):
    return g.run(cmd).splitlines()


def test_status_is_0_after_a_command_that_succeeded(sh):
    assert lines(sh, "echo hi; echo $?") == ["hi", "0"]


def test_status_of_a_failing_program_is_its_exit_value(sh):
    assert lines(sh, "cat /no-such-file; echo $?") == [
        "cat: /no-such-file: no such file or directory", "1"]


def test_status_is_read_when_the_command_runs_not_when_the_line_is_read(sh):
    # the first echo sees the status from before the line, the last the
    # one cat left in between.
    sh.run("echo reset")
    assert lines(sh, "echo $?; cat /no-such-file; echo $?") == [
        "0", "cat: /no-such-file: no such file or directory", "1"]


def test_a_program_not_found_is_named_and_gives_127(sh):
    assert lines(sh, "no-such-program arg; echo $?") == [
        "sh: no-such-program: not found", "127"]


def test_a_file_that_is_not_a_program_gives_126(sh):
    assert lines(sh, "/; echo $?") == ["sh: /: not an executable", "126"]


def test_a_killed_program_gives_255(sh):
    out = lines(sh, "fault; echo $?")
    assert out[-1] == "255", out
    assert "killed" in out[0], out


def test_status_is_the_low_8_bits_of_exit(sh):
    # POSIX's WEXITSTATUS: exit(300) reads as 44, exit(-1) as 255.
    assert lines(sh, "sh -c 'exit 300'; echo $?") == ["44"]
    assert lines(sh, "sh -c 'exit -1'; echo $?") == ["255"]
    assert lines(sh, "sh -c 'exit 7'; echo $?") == ["7"]


def test_dollar_question_is_literal_in_single_quotes_only(sh):
    sh.run("echo reset")
    assert lines(sh, "echo '$?' \"$?\" x$?y $x") == ["$? 0 x0y $x"]


def test_status_in_a_redirection_and_through_exit(sh):
    sh.run("sh -c 'exit 9'")
    sh.run("echo saved > /st$?")
    assert lines(sh, "cat /st9") == ["saved"]
    assert lines(sh, "sh -c 'sh -c \"exit 4\"; exit $?'; echo $?") == ["4"]


def test_sh_c_runs_a_whole_command_line(sh):
    assert lines(sh, "sh -c 'echo one; echo two | cat; echo three > /c3'") == ["one", "two"]
    assert lines(sh, "cat /c3") == ["three"]


def test_sh_c_exits_with_its_last_command_status(sh):
    assert lines(sh, "sh -c 'echo x; cat /no-such-file'; echo $?") == [
        "x", "cat: /no-such-file: no such file or directory", "1"]
    assert lines(sh, "sh -c 'cat /no-such-file; echo y'; echo $?") == [
        "cat: /no-such-file: no such file or directory", "y", "0"]


def test_sh_c_names_a_program_it_cannot_find(sh):
    assert lines(sh, "sh -c nothing-here; echo $?") == ["sh: nothing-here: not found", "127"]


def test_a_pipeline_has_its_last_command_status(sh):
    assert lines(sh, "sh -c 'exit 3' | sh -c 'exit 5'; echo $?") == ["5"]
    assert lines(sh, "sh -c 'exit 5' | cat; echo $?") == ["0"]


def test_a_syntax_error_gives_2(sh):
    assert lines(sh, "echo (") == ["sh: syntax error near ("]
    assert lines(sh, "echo $?") == ["2"]


def test_bad_exit_and_option_arguments(sh):
    assert lines(sh, "exit abc") == ["sh: exit: Illegal number: abc"]
    assert lines(sh, "echo $?") == ["2"]
    assert lines(sh, "sh -c; echo $?") == ["sh: -c requires an argument", "2"]
    assert lines(sh, "sh -x; echo $?") == [
        "sh: illegal option -x", "usage: sh [-c command | script]", "2"]


def test_a_script_exits_with_its_status(sh):
    sh.run("echo 'cat /no-such-file' > /s1")
    sh.run("echo 'exit 6' >> /s1")
    assert lines(sh, "sh /s1; echo $?") == [
        "cat: /no-such-file: no such file or directory", "6"]
    assert lines(sh, "sh /no-such-script; echo $?") == [
        "sh: /no-such-script: no such file or directory", "127"]
