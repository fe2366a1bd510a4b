// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "./ERC20.sol";
import {IPairLookup} from "./Interfaces.sol";

/// @title HoneypotToken
/// @notice An 18-decimal ERC-20 (whole supply minted to `owner`) that anyone can buy and nobody but the owner
///         can sell: a transfer to its token/WCORE pair reverts unless it comes from the owner (who can add
///         liquidity, and dump). Transfers between wallets work.
/// @dev The pair is looked up with `factory.getPair(this, wcore)` on every transfer: no setup transaction.
contract HoneypotToken is ERC20 {
    address public immutable owner;
    address public immutable factory;
    address public immutable wcore;

    constructor(string memory name_, string memory symbol_, uint256 totalSupply_, address owner_, address factory_, address wcore_)
        ERC20(name_, symbol_, 18)
    {
        owner = owner_;
        factory = factory_;
        wcore = wcore_;
        _mint(owner_, totalSupply_);
    }

    /// @notice The token/WCORE pair, or the zero address before liquidity is first added.
    function pair() public view returns (address) {
        return IPairLookup(factory).getPair(address(this), wcore);
    }

    function _transfer(address from, address to, uint256 value) internal override {
        if (from != owner) {
            address p = pair();
            require(p == address(0) || to != p, "HoneypotToken: SELL_DISABLED");
        }
        super._transfer(from, to, value);
    }
}
