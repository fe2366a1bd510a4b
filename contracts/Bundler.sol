// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IRouterBuy, TransferHelper} from "./Interfaces.sol";

/// @title Bundler
/// @notice Buys a token for several wallets in one transaction, the way launch bundlers do: `msg.value`
///         is split evenly and each share is swapped through the router with the recipient as `to`.
///         The remainder of the division goes back to the caller.
contract Bundler {
    function buyFor(address router, address token, address[] calldata recipients) external payable {
        uint256 count = recipients.length;
        require(count > 0, "Bundler: NO_RECIPIENTS");
        uint256 share = msg.value / count;
        require(share > 0, "Bundler: NOTHING_TO_SPEND");
        address[] memory path = new address[](2);
        path[0] = IRouterBuy(router).WETH();
        path[1] = token;
        for (uint256 i; i < count; i++) {
            IRouterBuy(router).swapExactETHForTokens{value: share}(0, path, recipients[i], block.timestamp);
        }
        uint256 rest = msg.value - share * count;
        if (rest > 0) TransferHelper.safeTransferNative(msg.sender, rest);
    }
}
