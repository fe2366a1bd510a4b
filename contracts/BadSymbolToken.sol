// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "./ERC20.sol";

/// @title BadSymbolToken
/// @notice An ERC-20 whose `name()` and `symbol()` revert, to test indexers against broken metadata.
contract BadSymbolToken is ERC20 {
    constructor(uint256 totalSupply_) ERC20("", "", 18) {
        _mint(msg.sender, totalSupply_);
    }

    function name() public pure override returns (string memory) {
        revert("BadSymbolToken: no name");
    }

    function symbol() public pure override returns (string memory) {
        revert("BadSymbolToken: no symbol");
    }
}
