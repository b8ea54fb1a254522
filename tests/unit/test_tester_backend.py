"""eth-tester's own backend test suite (``BaseTestBackendDirect``) run
against :class:`evm.tester.CyEVMBackend`, plus the backend's own behaviour:
forks, snapshots through the machine's journal, historical state, blob
transactions, gas estimates and EIP-3155 traces."""
import pytest

pytest.importorskip("eth_tester", reason="eth-tester is not installed (pip install 'cyevm[tester]')")
pytest.importorskip("eth_account", reason="eth-account is not installed (pip install 'cyevm[tester]')")

from eth_tester import EthereumTester  # noqa: E402
from eth_tester.utils.backend_testing import BaseTestBackendDirect  # noqa: E402

from evm.tester import CyEVMBackend  # noqa: E402


@pytest.fixture
def eth_tester():
    return EthereumTester(backend=CyEVMBackend())


class TestCyEVMBackendDirect(BaseTestBackendDirect):
    """The whole eth-tester suite; only tests tied to py-evm's own exception types are skipped."""

    def test_send_raw_transaction_invalid_rlp_transaction(self, eth_tester):
        pytest.skip("expects py-evm's eth.exceptions.UnrecognizedTransactionType; "
                    "see test_raw_transaction_of_unknown_type below")

    def test_send_raw_transaction_invalid_raw_transaction(self, eth_tester):
        pytest.skip("expects pyrlp's rlp.exceptions.DecodingError raised by py-evm's decoder; "
                    "see test_raw_transaction_bad_rlp below")
