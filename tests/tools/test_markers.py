"""tools/markers.py: a solution region becomes `raise NotImplementedError`; a malformed one is an
error naming file:line."""
import textwrap

import pytest

from tools.markers import (BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, MarkerError, find_regions,
                           stub_source)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_region_becomes_one_raise_at_the_marker_indentation_and_the_rest_is_verbatim():
    solution = src('''
        """Module docstring."""


        def f(x):
            """Docstring: x: (N,) float."""
            # TODO: return x + 1.
            ### BEGIN SOLUTION
            y = x + 1
            return y
            ### END SOLUTION


        def g(xs):
            out = []
            for x in xs:
                    ### BEGIN SOLUTION
                    out.append(f(x))
                    ### END SOLUTION
            return out
        ''')
    expected = src('''
        """Module docstring."""


        def f(x):
            """Docstring: x: (N,) float."""
            # TODO: return x + 1.
            raise NotImplementedError


        def g(xs):
            out = []
            for x in xs:
                    raise NotImplementedError
            return out
        ''')
    assert stub_source(solution, "m.py") == expected


def test_file_without_region_is_returned_unchanged():
    text = 'def clamp(x):\n    return max(x, 0)\n'
    assert stub_source(text, "m.py") is text


def test_crlf_line_endings_are_kept():
    solution = "def f():\r\n    ### BEGIN SOLUTION\r\n    return 1\r\n    ### END SOLUTION\r\n"
    assert stub_source(solution, "m.py") == "def f():\r\n    raise NotImplementedError\r\n"


def test_region_in_a_method_and_an_empty_region():
    solution = src('''
        class C:
            def m(self):
                ### BEGIN SOLUTION
                ### END SOLUTION
        ''')
    expected = "class C:\n    def m(self):\n        raise NotImplementedError\n"
    assert stub_source(solution, "m.py") == expected


# Each malformed case: (source, line the error must name, words the message must hold).
MALFORMED = {
    "nested": (src('''
        def f():
            ### BEGIN SOLUTION
            x = 1
            ### BEGIN SOLUTION
            ### END SOLUTION
            ### END SOLUTION
        '''), 4, "nested"),
    "unterminated": (src('''
        def f():
            pass


        def g():
            ### BEGIN SOLUTION
            return 1
        '''), 6, "never closed"),
    "unmatched_end": (src('''
        def f():
            return 1
            ### END SOLUTION
        '''), 3, "without a matching"),
    "mismatched_indentation": (src('''
        def f(xs):
            for x in xs:
                ### BEGIN SOLUTION
                print(x)
            ### END SOLUTION
        '''), 5, "indented"),
    "tab_versus_spaces": ("def f():\n    ### BEGIN SOLUTION\n    return 1\n\t### END SOLUTION\n",
                          4, "indented"),
    "marker_not_alone": ("def f():\n    return 1  ### BEGIN SOLUTION\n", 2, "malformed"),
    "misspelled_marker": ("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n",
                          2, "malformed"),
    "module_level_region": ("import math\n### BEGIN SOLUTION\nC = math.pi\n### END SOLUTION\n",
                            2, "outside a function"),
    "class_body_region": ("class C:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION\n",
                          2, "outside a function"),
    "stub_does_not_parse": (src('''
        def f(x):
            if x:
            ### BEGIN SOLUTION
                return 1
            ### END SOLUTION
        '''), 3, "does not parse"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_regions_raise_an_error_naming_file_and_line(case):
    text, line, words = MALFORMED[case]
    with pytest.raises(MarkerError) as caught:
        stub_source(text, "solutions/week1_x/density.py")
    message = str(caught.value)
    assert message.startswith(f"solutions/week1_x/density.py:{line}: "), message
    assert words in message, message


def test_hidden_test_regions_use_the_same_parser():
    cell = f"assert f(1) == 2\n{BEGIN_HIDDEN_TESTS}\nassert f(2) == 3\n{END_HIDDEN_TESTS}"
    [region] = find_regions(cell, "nb.ipynb[cell 3]", BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
    assert (region.begin, region.end, region.indent) == (2, 4, "")
    with pytest.raises(MarkerError, match=r"^nb\.ipynb\[cell 3\]:2: "):
        find_regions(f"x = 1\n{BEGIN_HIDDEN_TESTS}\n", "nb.ipynb[cell 3]",
                     BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
